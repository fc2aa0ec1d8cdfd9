global using OpenTunnel.Testing.Identity;
