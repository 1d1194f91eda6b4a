"""The prompt lab: prices and estimates, word diffs of a rewrite, the next try from the last, and the
offline report page. Pure or file-writing; no network."""
