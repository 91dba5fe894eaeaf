"""The Gap Score: understanding vs generation ability, and the legacy GapEval score."""
