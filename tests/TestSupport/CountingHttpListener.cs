using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BudgetCluster.TestSupport;

/// <summary>
/// A plain HTTP listener on loopback that answers every request 404 at once and counts the
/// connections made to it: where a test points a URL that nothing should ever fetch.
/// </summary>
public sealed class CountingHttpListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _requests;

    private CountingHttpListener()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _accepting = AcceptAsync();
    }

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    public static Task<CountingHttpListener> StartAsync() => Task.FromResult(new CountingHttpListener());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var answer = Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            using (client)
            {
                try
                {
                    await client.GetStream().WriteAsync(answer, _stop.Token);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                }
            }
        }
    }
}
