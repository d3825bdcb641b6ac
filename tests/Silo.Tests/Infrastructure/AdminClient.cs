using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>A budget owner's HTTP client for the admin API.</summary>
public sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;

    public AdminClient(Uri admin, string? token)
    {
        _http = new HttpClient { BaseAddress = admin, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    public Task<HttpResponseMessage> PutAsync(string path, string json) =>
        _http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        _http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> DeleteAsync(string path) => _http.DeleteAsync(path);

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request);

    public async Task<JsonNode> GetOkAsync(string path)
    {
        using var response = await GetAsync(path);
        return await Http.ReadOkAsync(response);
    }

    public async Task<JsonNode> PutOkAsync(string path, string json)
    {
        using var response = await PutAsync(path, json);
        return await Http.ReadOkAsync(response);
    }

    public async Task<JsonNode> PostOkAsync(string path, string json)
    {
        using var response = await PostAsync(path, json);
        return await Http.ReadOkAsync(response);
    }

    public void Dispose() => _http.Dispose();
}
