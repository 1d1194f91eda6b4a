"""How things show in a front end: which front end runs the kernel and how it plays a video
(``frontend``), and all the HTML of status cards, posters and players (``html``)."""
