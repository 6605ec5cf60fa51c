"""ScanPosture's domain and its adapters. Never imports azure.functions, FastAPI or `functions`."""
