"""OTLP over HTTP and gRPC: content negotiation, responses and decoding, shared by signals."""
