"""The Azure Functions app (v2 programming model): the FastAPI app for HTTP, plus timer and queue
blueprints. Locally the same ASGI app runs under uvicorn and a worker drains the same queue.

Importing this module stays light (issue 24): the FastAPI app is built at the first HTTP request
(functions.runtime.http_app), queue handlers and timers import their use cases when called."""

from core.startup import collection_paused

with collection_paused():
    import azure.functions as func

    from functions import queues, timers
    from functions.runtime import http_app

app = func.AsgiFunctionApp(app=http_app, http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(timers.bp)
app.register_functions(queues.bp)
