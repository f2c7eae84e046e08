"""The seed's dashboard endpoint, served by FastAPI from the Rust breakers' snapshot.

``GET /api/v1/circuits`` returns every registered breaker (the three presets and every
breaker given a ``name=``, or made by ``@resilient``) in the seed's shape, with the
core's counters as extra fields::

    {"llm": {"state": "closed", "failure_count": 0, "rejected_calls": 0, ...}, ...}

Run it with ``uvicorn dashboard:app --port 8000`` from this folder.
"""

from fastapi import FastAPI

import staunch

app = FastAPI(title="staunch circuits")


@app.get("/api/v1/circuits")
async def get_circuit_states() -> dict:
    return staunch.snapshot()
