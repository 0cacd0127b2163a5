"""What makes a sent email trackable and compliant: tracked links and the open pixel,
unsubscribe links and headers, and the views those links reach."""
