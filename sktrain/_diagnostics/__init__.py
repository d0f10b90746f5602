"""The diagnostics behind ``sktrain.diagnostics``: checks a practitioner runs
by hand when a network will not train, each one call returning a typed result.
"""
