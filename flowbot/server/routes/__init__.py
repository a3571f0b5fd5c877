"""Route handlers, one module per area: converse, auth, events (proactive), health."""
