"""Decoder plugins: greedy (best path) and beam (prefix beam search, with KenLM scorer fusion and hot words)."""
