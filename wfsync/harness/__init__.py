"""Real Argo: a kind cluster, workflows submitted to any cluster, local verdicts compared with Argo's."""
