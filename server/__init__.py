"""accueil: assistant de l'accueil des mairies (service web, CLI et cœur de recherche)."""
