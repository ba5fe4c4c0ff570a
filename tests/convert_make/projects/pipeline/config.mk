TITLE := word counts
