using System.Buffers;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>A request body in an array rented from <see cref="ArrayPool{T}.Shared"/>; disposing gives the array back, so nothing may keep <see cref="Memory"/> after.</summary>
public sealed class PooledBytes : IDisposable
{
    private byte[]? _array;

    internal PooledBytes(byte[] array, int length)
    {
        _array = array;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PooledBytes))).AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => Memory.Span;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
