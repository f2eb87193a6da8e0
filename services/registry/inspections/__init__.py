"""Quality and safety supervision (质量安全监督): inspections, their findings and the rectification loop (整改)."""
