"""apeach-ls: build an APEACH-style crowd-generated hate-speech evaluation set in Label Studio.

Core logic (label correction, prompts, classifier metrics) is plain Python with no I/O;
``apeach_ls.labelstudio``, ``ml_backend`` and ``apeach_ls.cli`` are thin shells around it.
"""

__version__ = "0.1.0"
