using System.Net;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.SignIn;

namespace OpenTunnel.Gateway.Tests.Connections;

[Trait("Category", "Unit")]
public sealed class PreAuthBudgetTests
{
    private static readonly ClientAddressKey Attacker = Key("198.18.1.100");
    private static readonly ClientAddressKey Fresh = Key("198.18.1.2");

    [Fact]
    public void TryEnter_AtThePerAddressLimit_RefusesThatAddressButNotAnother()
    {
        var budget = new PreAuthBudget();
        Enter(budget, Attacker, 100, 3, times: 3);

        Assert.Equal(PreAuthAdmission.AddressFull, budget.TryEnter(Attacker, 100, 3, out var refused));
        Assert.Null(refused);
        Assert.Equal(PreAuthAdmission.Admitted, budget.TryEnter(Fresh, 100, 3, out var admitted));
        Assert.NotNull(admitted);
        Assert.Equal(4, budget.Count);
    }

    [Fact]
    public void TryEnter_BudgetFull_NewcomerTakesTheOldestSlotOfTheHeaviestClient()
    {
        var budget = new PreAuthBudget();
        var light = Key("198.18.1.101");
        var heavy = Enter(budget, Attacker, 4, 4, times: 3);
        Enter(budget, light, 4, 4, times: 1);

        Assert.Equal(PreAuthAdmission.Admitted, budget.TryEnter(Fresh, 4, 4, out var newcomer));

        Assert.True(heavy[0].Evicted.IsCancellationRequested);
        Assert.False(heavy[0].Holding);
        Assert.False(heavy[1].Evicted.IsCancellationRequested);
        Assert.True(newcomer!.Holding);
        Assert.Equal(4, budget.Count);
        Assert.Equal(2, budget.SlotsOf(Attacker));
        Assert.Equal(1, budget.SlotsOf(light));
    }

    [Fact]
    public void TryEnter_BudgetFull_NewcomerFromTheHeaviestClient_IsRefused()
    {
        var budget = new PreAuthBudget();
        Enter(budget, Attacker, 4, 4, times: 2);
        Enter(budget, Key("198.18.1.101"), 4, 4, times: 2);

        Assert.Equal(PreAuthAdmission.BudgetFull, budget.TryEnter(Attacker, 4, 4, out _));
        Assert.Equal(4, budget.Count);
    }

    [Fact]
    public void TryEnter_BudgetFullOfOneSlotClients_FreshClientStillGetsOne()
    {
        var budget = new PreAuthBudget();
        var first = Enter(budget, Key("198.18.1.101"), 3, 1, times: 1);
        Enter(budget, Key("198.18.1.102"), 3, 1, times: 1);
        Enter(budget, Key("198.18.1.103"), 3, 1, times: 1);

        Assert.Equal(PreAuthAdmission.Admitted, budget.TryEnter(Fresh, 3, 1, out _));
        Assert.True(first[0].Evicted.IsCancellationRequested);
    }

    [Fact]
    public void Dispose_GivesTheSlotBack_OnceOnly()
    {
        var budget = new PreAuthBudget();
        var tickets = Enter(budget, Attacker, 10, 10, times: 2);

        tickets[0].Dispose();
        tickets[0].Dispose();

        Assert.Equal(1, budget.Count);
        Assert.Equal(1, budget.SlotsOf(Attacker));
        tickets[1].Dispose();
        Assert.Equal(0, budget.Count);
        Assert.Equal(0, budget.Clients);
        Assert.False(tickets[0].Evicted.IsCancellationRequested);
    }

    [Fact]
    public void TryEnter_TheIssueFlood_HoldsTheBudgetAndAdmitsAFreshClient()
    {
        // Issue #12 item 3: 1,500 connections from one address and 300 from 30 others.
        var budget = new PreAuthBudget();
        int refused = 0;
        for (int i = 0; i < 1500; i++)
        {
            refused += budget.TryEnter(Attacker, 256, 16, out _) == PreAuthAdmission.Admitted ? 0 : 1;
        }

        for (int i = 0; i < 300; i++)
        {
            refused += budget.TryEnter(Key($"198.18.1.{101 + (i % 30)}"), 256, 16, out _) == PreAuthAdmission.Admitted ? 0 : 1;
        }

        Assert.Equal(256, budget.Count);
        Assert.True(refused >= 1500 - 16, $"{refused} refused");
        Assert.True(budget.SlotsOf(Attacker) <= 16);
        Assert.Equal(PreAuthAdmission.Admitted, budget.TryEnter(Fresh, 256, 16, out _));
        Assert.Equal(PreAuthAdmission.Admitted, budget.TryEnter(Key("2001:db8:1::2"), 256, 16, out _));
        Assert.Equal(256, budget.Count);
    }

    private static ClientAddressKey Key(string address) => ClientAddressKey.From(IPAddress.Parse(address));

    private static List<PreAuthTicket> Enter(PreAuthBudget budget, ClientAddressKey client, int maxTotal, int maxPerAddress, int times)
    {
        var tickets = new List<PreAuthTicket>();
        for (int i = 0; i < times; i++)
        {
            Assert.Equal(PreAuthAdmission.Admitted, budget.TryEnter(client, maxTotal, maxPerAddress, out var ticket));
            tickets.Add(ticket!);
        }

        return tickets;
    }
}
