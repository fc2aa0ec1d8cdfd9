using OpenTunnel.Gateway.Cli;

return await GatewayCommandLine.RunAsync(args);
