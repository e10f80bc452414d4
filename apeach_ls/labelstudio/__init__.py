"""Thin shells around Label Studio: the SDK connection, project setup, a local server."""
