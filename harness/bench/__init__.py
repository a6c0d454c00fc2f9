"""Side-by-side speed benchmark: this harness's engine against lm-eval's HFLM."""
