"""Writers' rewards: roster, policy, an append-only ledger, and crash-safe payouts.

No Label Studio here: the input is a list of ``SubmissionOutcome`` built elsewhere.
Modules: ``model`` (vocabulary, money), ``roster``, ``policy``, ``ledger`` (record_outcomes),
``payout`` (plan/commit/status/show), ``batches`` (batch files, confirmation), ``providers``
(Prolific, MTurk, manual transfers, fake). Their tables are in the campaign database
(``apeach_ls.database``); files are written with :mod:`apeach_ls.atomic`.
"""
