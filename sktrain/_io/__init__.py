"""Persistence: ``save`` / ``sktrain.load`` files, pickling, and old formats.

``registry`` lists what a file may construct, ``schema`` declares what is
stored (and migrates older states), ``codec`` turns state into tagged JSON
and ``.npy`` data, ``archive`` writes and reads the zip file, ``legacy``
resolves the module paths of pickles written before the engine-v2 layout.
"""
