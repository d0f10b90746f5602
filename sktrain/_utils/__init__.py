"""Small utilities without Keras: input validation with did-you-mean errors,
prefix routing of parameters, shared docstring fragments."""
