"""The flowbot runtime: executes Botpress v12 flow JSON (compiled bots and real Botpress bots alike).

The runtime never imports the compiler or the DSL grammar.
"""
