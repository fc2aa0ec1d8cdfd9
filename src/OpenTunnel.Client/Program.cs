using System.Runtime.InteropServices;
using OpenTunnel.Client.Cli;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Platform.Linux.Tls;

if (args is ["connect", ..] && !args.TakeWhile(arg => arg != "--").Any(arg => arg is "openconnect" or "--engine=openconnect"))
{
    // OpenSSL's start holds back the native engine's TLS handshake: it runs on another core while the
    // command line is read, on a thread of its own, not one of the pool's, which the connect needs
    // meanwhile. (openconnect, which runs in a process of its own, needs none of it; a profile named
    // "openconnect" only goes without the head start.)
    new Thread(() => OpenSslClientStream.Prepare(systemTrust: false)) { IsBackground = true, Name = "openssl start" }.Start();
}

ClientEnvironment environment;
try
{
    environment = ClientEnvironment.FromProcess();
}
catch (ClientStateException e)
{
    Console.Error.WriteLine(e.Message);
    return ExitCodes.Configuration;
}

// SIGINT/SIGTERM end the verb (a sign-in's polling, a posture loop) through cancellation; connect passes them to openconnect instead.
using var stop = new CancellationTokenSource();
using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using (environment.Http)
{
    return await ClientCommandLine.RunAsync(args, environment, stop.Token);
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
