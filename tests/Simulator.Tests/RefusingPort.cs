using System.Net;
using System.Net.Sockets;

namespace Reconcile.Simulator.Tests;

/// <summary>
/// A port on 127.0.0.1 that refuses connections and that no other test can take meanwhile: bound by a
/// socket that never listens (connecting gets a reset), released when disposed.
/// </summary>
internal sealed class RefusingPort : IDisposable
{
    private readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingPort() => socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public int Port => ((IPEndPoint)socket.LocalEndPoint!).Port;

    public void Dispose() => socket.Dispose();
}
