"""Language models: KenLM's tools, corpus normalisation and the `sttx lm build` pipeline that packages a scorer."""
