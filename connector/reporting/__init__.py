"""What managers see: per-rep figures (``referee stats``), the HTML report, the per-run CSV."""
