"""Language models: KenLM's tools, corpus normalisation, the `sttx lm build` pipeline that packages a
scorer, and `sttx lm tune` (cached acoustic outputs, optuna over lm_alpha / lm_beta)."""
