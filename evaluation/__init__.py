"""`docent eval`: measuring docent as its clients see it, through the public API only
(`docent.client`): retrieval on BEIR collections (`beir`, `retrieval`), answers on QA sets
(`qa`, `answers`), the documents they need (`uploads`), the server they run against
(`server`), the figures (`metrics`, pure functions) and the report (`report`)."""
