"""Models by layer name: construct a layer, build a model from a spec, read and write files."""
