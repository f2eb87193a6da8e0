"""Allocation advice: where a budget of policy money delivers the most homes, under the risk model."""
