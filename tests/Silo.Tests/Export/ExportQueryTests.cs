using BudgetCluster.Grains.Usage;
using BudgetCluster.Silo.Admin.Export;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace BudgetCluster.Silo.Tests.Export;

/// <summary>The export's query parameters, checked without a silo.</summary>
public sealed class ExportQueryTests
{
    [Fact]
    public void Parse_NoParameters_StartsFromTheFirstEventWithTheDefaultLimitOverEveryEnvironment()
    {
        var query = Parse("");

        Assert.Equal(CommitPosition.Start, query.After);
        Assert.Equal(1000, query.Limit);
        Assert.Empty(query.EnvironmentIds);
    }

    [Fact]
    public void Parse_EmptyAfter_IsTheBeginning() => Assert.Equal(CommitPosition.Start, Parse("?after=").After);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 42)]
    [InlineData(987654321, 5)]
    public void Parse_CursorOfAnEarlierAnswer_IsItsPosition(long transaction, long number)
    {
        var position = new CommitPosition(transaction, number);

        Assert.Equal(position, Parse("?after=" + position.Encode()).After);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("10000", 10000)]
    [InlineData("250", 250)]
    public void Parse_LimitInRange_IsKept(string limit, int expected) => Assert.Equal(expected, Parse("?limit=" + limit).Limit);

    [Theory]
    [InlineData("?limit=0", "'limit' must be an integer from 1 to 10000")]
    [InlineData("?limit=10001", "'limit' must be an integer from 1 to 10000")]
    [InlineData("?limit=+5", "'limit' must be an integer from 1 to 10000")]
    [InlineData("?limit=", "'limit' must be an integer from 1 to 10000")]
    [InlineData("?limit=99999999999", "'limit' must be an integer from 1 to 10000")]
    [InlineData("?after=%2F%2F", "'after' is not a cursor of this export")]
    [InlineData("?environment_id=", "'environment_id' must be 1-128 characters")]
    [InlineData("?environment_id=a,,b", "'environment_id' must be 1-128 characters")]
    [InlineData("?environment_id=a/b", "'environment_id' must be 1-128 characters")]
    public void Parse_BadParameter_IsA400NamingIt(string text, string expected)
    {
        var (query, problem) = ExportQuery.Parse(new QueryCollection(QueryHelpers.ParseQuery(text)));

        Assert.Null(query);
        var details = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>(problem);
        Assert.Equal(400, details.StatusCode);
        Assert.StartsWith(expected, details.ProblemDetails.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EnvironmentsRepeatedAndCommaSeparated_AreEachTakenOnce()
    {
        Assert.Equal<string>(["prod", "dev", "qa"], Parse("?environment_id=prod,dev&environment_id=qa&environment_id=prod").EnvironmentIds);
    }

    private static ExportQuery Parse(string text)
    {
        var (query, problem) = ExportQuery.Parse(new QueryCollection(QueryHelpers.ParseQuery(text)));
        Assert.Null(problem);
        return query!;
    }
}
