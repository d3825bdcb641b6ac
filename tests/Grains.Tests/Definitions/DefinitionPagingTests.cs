using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Definitions;

namespace BudgetCluster.Grains.Tests.Definitions;

public sealed class DefinitionPagingTests
{
    private static readonly DefinitionEntry<int>[] Entries =
        [new("b", 2), new("a", 1), new("B", 0), new("c", 3), new("a.1", 4)];

    [Fact]
    public void Of_PagesInOrdinalIdOrder_EachEntryOnce()
    {
        var first = DefinitionPaging.Of(Entries, null, 2);
        var second = DefinitionPaging.Of(Entries, first.Entries[^1].Id, 2);
        var third = DefinitionPaging.Of(Entries, second.Entries[^1].Id, 2);

        Assert.Equal(["B", "a"], first.Entries.Select(entry => entry.Id));
        Assert.True(first.HasMore);
        Assert.Equal(["a.1", "b"], second.Entries.Select(entry => entry.Id));
        Assert.True(second.HasMore);
        Assert.Equal(["c"], third.Entries.Select(entry => entry.Id));
        Assert.False(third.HasMore);
    }

    [Fact]
    public void Of_ExactlyAFullLastPage_HasNoMore()
    {
        var page = DefinitionPaging.Of(Entries, "a.1", 2);

        Assert.Equal(["b", "c"], page.Entries.Select(entry => entry.Id));
        Assert.False(page.HasMore);
    }

    [Fact]
    public void Of_AfterAnIdThatWasDeleted_GoesOnFromWhereItWould()
    {
        var page = DefinitionPaging.Of(Entries, "a.0", 10);

        Assert.Equal(["a.1", "b", "c"], page.Entries.Select(entry => entry.Id));
    }

    [Fact]
    public void Describe_NothingRemaining_IsNull_ElseNamesEachKindWithAtMostFiveIds()
    {
        string[] seven = ["m7", "m1", "m2", "m3", "m4", "m5", "m6"];

        Assert.Null(Remaining.Describe("org 'o'", ("environment", "environments", [])));
        Assert.Equal("org 'o' still has 1 budget (b-1): remove them first",
            Remaining.Describe("org 'o'", ("environment", "environments", []), ("budget", "budgets", ["b-1"])));
        Assert.Equal("environment 'e' still has 7 models (m1, m2, m3, m4, m5, …), 1 API key (k) and 2 certificates (s1, s2): remove them first",
            Remaining.Describe("environment 'e'", ("model", "models", seven), ("API key", "API keys", ["k"]), ("certificate", "certificates", ["s2", "s1"])));
    }
}
