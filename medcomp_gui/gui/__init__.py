"""The desktop viewer: the only package that imports Qt (PySide6) and pyqtgraph.

Qt classes are named ``Qt*`` and live in ``qt_*.py``; ``display``, ``compute`` and
``report`` hold the Qt-free arithmetic and work they call.
"""
