using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api;

/// <summary>Paging parameters every list endpoint takes: ?page=1&amp;pageSize=50.</summary>
public class ListQuery
{
    public const int DefaultPageSize = 50;
    public const int MaximumPageSize = 500;

    /// <summary>1-based page number. Default 1.</summary>
    public int? Page { get; set; }

    /// <summary>Items per page, 1 to 500. Default 50.</summary>
    public int? PageSize { get; set; }

    internal int PageNumber => Page ?? 1;

    internal int Size => PageSize ?? DefaultPageSize;

    internal ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        errors.RequireRange("page", PageNumber, 1, int.MaxValue);
        errors.RequireRange("pageSize", Size, 1, MaximumPageSize);
        return errors;
    }
}

/// <summary>One page of a list, with the total so a client knows how many pages there are.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int PageNumber, int PageSize, int TotalCount);
