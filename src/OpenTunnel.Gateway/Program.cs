using OpenTunnel.Gateway.Cli;

return await GatewayCommandLine.RunAsync(args, Console.Out, Console.Error);
