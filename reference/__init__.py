"""National standards the network applies, as data and pure functions (no I/O).

GB/T 2260 administrative divisions (``regions``), GB/T 4754-2017 industries
(``industries``), GB 32100 unified social credit codes (``credit_codes``), the
SME size rules of 工信部联企业〔2011〕300号 (``size_rules``), the working-day
calendar (``workdays``) and China Standard Time (``china_time``). Contracts,
domain code and the gateway read them; they import nothing of OneNet.
"""
