using OpenTunnel.Gateway.Cli;
using OpenTunnel.Gateway.Hosting;

RuntimeTuning.Apply();
return await GatewayCommandLine.RunAsync(args, Console.Out, Console.Error);
