"""The library: finding, reading and indexing the YAML documents a repository keeps."""
