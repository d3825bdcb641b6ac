namespace BudgetCluster.Grains.Storage;

/// <summary>Writing grain state without leaving memory and storage apart.</summary>
internal static class StateWrites
{
    /// <summary>
    /// Writes the state. When the write fails, the in-memory state already holds the change that
    /// was not stored, so the activation is ended: the next call starts from what storage holds,
    /// and a retried request is not mistaken for a no-op.
    /// </summary>
    public static async Task WriteOrResetAsync<T>(this IPersistentState<T> state, Grain grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
