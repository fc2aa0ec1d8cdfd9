namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// The issuer's signing keys could not be had; <see cref="Exception.Message"/> says from where and
/// why. Never leaves the plugin: the validator turns it into <see cref="TokenRefusal.KeysUnavailable"/>.
/// </summary>
internal sealed class SigningKeysUnavailableException(string message, Exception? innerException) : Exception(message, innerException);
