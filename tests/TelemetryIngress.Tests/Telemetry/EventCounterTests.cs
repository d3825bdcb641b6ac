using System.Text;
using BudgetCluster.TelemetryIngress.Telemetry;

namespace BudgetCluster.TelemetryIngress.Tests.Telemetry;

public sealed class EventCounterTests
{
    [Theory]
    [InlineData("""{"events":[]}""", 0)]
    [InlineData("""{"events":[{"a":[1,2,{"b":3}]},2,"x",null]}""", 4)]
    [InlineData("""{"other":[1,2,3],"events":[1,2]}""", 2)]
    [InlineData("""{"events":5}""", 0)]
    [InlineData("""[1,2,3]""", 0)]
    public void Count_CountsOnlyTopLevelEventsElements(string json, int expected)
    {
        Assert.Equal(expected, EventCounter.Count(Encoding.UTF8.GetBytes(json), 1000));
    }

    [Fact]
    public void Count_MalformedJson_IsNull()
    {
        Assert.Null(EventCounter.Count("""{"events":[1,2"""u8, 1000));
    }

    [Fact]
    public void Count_HugeArray_StopsPastTheLimitWithoutAllocating()
    {
        var json = Encoding.UTF8.GetBytes("{\"events\":[" + string.Join(",", Enumerable.Repeat("{\"x\":1}", 2_000_000)) + "]}");
        var before = GC.GetAllocatedBytesForCurrentThread();

        var count = EventCounter.Count(json, 1000);

        Assert.Equal(1001, count);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1024);
    }
}
