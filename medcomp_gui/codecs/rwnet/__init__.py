"""RWNet, the learned codec: residual wavelet network, factorised prior, constriction coding.

Importing this package imports no TensorFlow; the model is built on first use.
"""
