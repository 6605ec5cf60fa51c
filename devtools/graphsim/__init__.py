"""The Graph simulator: the one stand-in for Microsoft's cloud in tests, demos and benchmarks.

One process serves Entra ID's token endpoint (client credentials, per tenant), admin consent,
Microsoft Graph v1.0 and beta (every `GraphSource` in `core.collect.sources`), the Exchange Online admin API
(`InvokeCommand`) and a `/_sim` test API over HTTPS, plus an authoritative DNS server over UDP for the
tenants' SPF, DMARC and DKIM records. Start it with `launcher.start_graph_simulator`; fault keywords
are listed in `faults`; demo tenants live in `tenants/` and are made by `demo.py`.
"""
