using BudgetCluster.Grains.Abstractions.Billing;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Billing;

/// <summary>
/// One closed statement's bytes. State: the body, written before the call returns; read on
/// activation. Only the org's <see cref="StatementsGrain"/> writes it, before the statement is
/// recorded as closed, so a body that can be served is never written again.
/// </summary>
[GrainType("statement-body")]
internal sealed class StatementBodyGrain(
    [PersistentState("statement-body", GrainStorageNames.Default)] IPersistentState<StatementBodyState> state)
    : Grain, IStatementBodyGrain
{
    public async Task StoreBodyAsync(byte[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        state.State.Body = body;
        await state.WriteOrResetAsync(this);
    }

    public Task<byte[]?> GetBodyAsync() => Task.FromResult(state.State.Body);
}
