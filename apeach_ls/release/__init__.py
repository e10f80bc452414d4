"""A release: the accepted sentences as an APEACH-style dataset, with a card and a report.

``rows`` builds the release rows (pure), ``consistency`` holds back a sentence accepted
more than once (pure), ``export`` writes the files, ``report`` renders the HTML report with
its figures.
"""
