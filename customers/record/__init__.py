"""The customer record (the customer 360 page): the panels other apps add to it, the
customer's segment and consent history, and the staff profile form."""
