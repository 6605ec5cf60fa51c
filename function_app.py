"""The Azure Functions app (v2 programming model): the FastAPI app for HTTP, plus timer and queue
blueprints. Locally the same ASGI app runs under uvicorn and a worker drains the same queue."""

import azure.functions as func

from functions import queues, timers
from functions.api import create_api
from functions.runtime import services

app = func.AsgiFunctionApp(app=create_api(services), http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(timers.bp)
app.register_functions(queues.bp)
