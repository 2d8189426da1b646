"""Text in: the structure segmenter, the sentence splitters, and the normal forms search indexes."""
